package ai.phreg.metrics;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import ai.phreg.image.RgbImage;

/**
 * Pictures of feature maps, because artifact tokens are easiest to believe when seen: a
 * norm heatmap shows them as isolated hot cells, a PCA map as specks of a foreign colour,
 * and a side-by-side of teacher and student shows whether the registers took them away.
 * <p>
 * Everything is drawn into {@link BufferedImage}s and written with ImageIO, which needs
 * no display, so it runs on a headless server as is.
 */
public final class Pictures {

	private static final int MARGIN = 8;

	private static final Font CAPTION_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

	private Pictures() {
	}

	/**
	 * Draws one value per patch through the viridis colormap, each patch a square of flat
	 * colour (nearest-neighbour upscaling, so no blur suggests structure between
	 * patches).
	 * @param grid the values, for example {@link TokenNorms#of token norms}
	 * @param scale the value range, shared between pictures that are compared
	 * @param patchPixels side of one patch in pixels: 16 makes a 37x37 grid readable, the
	 * model's patch size lines the map up with the input image
	 * @return a {@code gridWidth * patchPixels} by {@code gridHeight * patchPixels} image
	 */
	public static BufferedImage heatmap(PatchGrid grid, ColourScale scale, int patchPixels) {
		float[] values = grid.values();
		int[] colours = new int[values.length];
		for (int i = 0; i < values.length; i++) {
			colours[i] = Viridis.rgb(scale.fraction(values[i]));
		}
		return upscaled(colours, grid.gridHeight(), grid.gridWidth(), patchPixels);
	}

	/**
	 * Draws the patches in the colours of their top three principal components.
	 * @param components components fitted on these features or, to compare, on the
	 * teacher's
	 * @param features the features to draw
	 * @param patchPixels side of one patch in pixels
	 * @return a {@code gridWidth * patchPixels} by {@code gridHeight * patchPixels} image
	 */
	public static BufferedImage pcaMap(PrincipalComponents components, PatchFeatures features, int patchPixels) {
		return upscaled(components.colours(features), features.gridHeight(), features.gridWidth(), patchPixels);
	}

	/**
	 * Converts a preprocessed input image, to show it next to its feature maps.
	 * @param image the image
	 * @return the same pixels as a {@link BufferedImage}
	 */
	public static BufferedImage fromRgb(RgbImage image) {
		BufferedImage picture = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
		for (int y = 0; y < image.height(); y++) {
			for (int x = 0; x < image.width(); x++) {
				picture.setRGB(x, y,
						(image.sample(x, y, 0) << 16) | (image.sample(x, y, 1) << 8) | image.sample(x, y, 2));
			}
		}
		return picture;
	}

	/**
	 * Lays panels out left to right on a white background, each under its caption, top
	 * aligned, at their own size.
	 * @param panels the panels, for example input, teacher, student
	 * @return the composition
	 */
	public static BufferedImage sideBySide(List<Panel> panels) {
		if (panels.isEmpty()) {
			throw new IllegalArgumentException("Nothing to lay out");
		}
		// Text is measured on a scratch image: the composition's size depends on it.
		Graphics2D scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
		FontMetrics metrics = scratch.getFontMetrics(CAPTION_FONT);
		scratch.dispose();
		int[] slotWidths = new int[panels.size()];
		int width = MARGIN;
		int tallest = 0;
		for (int i = 0; i < panels.size(); i++) {
			Panel panel = panels.get(i);
			slotWidths[i] = Math.max(panel.image().getWidth(), metrics.stringWidth(panel.caption()));
			width += slotWidths[i] + MARGIN;
			tallest = Math.max(tallest, panel.image().getHeight());
		}
		int captionBand = metrics.getHeight() + MARGIN / 2;
		BufferedImage composition = new BufferedImage(width, MARGIN + captionBand + tallest + MARGIN,
				BufferedImage.TYPE_INT_RGB);
		Graphics2D graphics = composition.createGraphics();
		try {
			graphics.setColor(Color.WHITE);
			graphics.fillRect(0, 0, composition.getWidth(), composition.getHeight());
			graphics.setColor(Color.BLACK);
			graphics.setFont(CAPTION_FONT);
			graphics.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
			int left = MARGIN;
			for (int i = 0; i < panels.size(); i++) {
				Panel panel = panels.get(i);
				graphics.drawString(panel.caption(), left + (slotWidths[i] - metrics.stringWidth(panel.caption())) / 2,
						MARGIN + metrics.getAscent());
				graphics.drawImage(panel.image(), left + (slotWidths[i] - panel.image().getWidth()) / 2,
						MARGIN + captionBand, null);
				left += slotWidths[i] + MARGIN;
			}
		}
		finally {
			graphics.dispose();
		}
		return composition;
	}

	/**
	 * Draws one bar of a bar chart: {@code fraction} of the height filled from the
	 * bottom, in a dark viridis blue, on white; side by side with {@link #sideBySide},
	 * captions naming the bars, the bars make a chart.
	 * @param fraction the bar's height as a fraction of the tallest's, clamped to [0, 1]
	 * @param width the bar's width in pixels
	 * @param height the tallest bar's height in pixels
	 * @return a {@code width} by {@code height} image
	 */
	public static BufferedImage bar(double fraction, int width, int height) {
		BufferedImage picture = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		Graphics2D graphics = picture.createGraphics();
		try {
			graphics.setColor(Color.WHITE);
			graphics.fillRect(0, 0, width, height);
			int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * height);
			graphics.setColor(new Color(Viridis.rgb(0.25)));
			graphics.fillRect(0, height - filled, width, filled);
			graphics.setColor(Color.GRAY);
			graphics.drawLine(0, height - 1, width - 1, height - 1);
		}
		finally {
			graphics.dispose();
		}
		return picture;
	}

	/**
	 * Writes a picture as PNG, lossless so a colour read back is the colour drawn.
	 * @param picture the picture
	 * @param file the destination, replaced if present
	 * @throws IOException if the file cannot be written
	 */
	public static void writePng(BufferedImage picture, Path file) throws IOException {
		if (!ImageIO.write(picture, "png", file.toFile())) {
			throw new IOException("No PNG writer for image type " + picture.getType());
		}
	}

	private static BufferedImage upscaled(int[] colours, int gridHeight, int gridWidth, int patchPixels) {
		if (patchPixels <= 0) {
			throw new IllegalArgumentException("Patch pixels must be positive, got " + patchPixels);
		}
		BufferedImage picture = new BufferedImage(gridWidth * patchPixels, gridHeight * patchPixels,
				BufferedImage.TYPE_INT_RGB);
		for (int y = 0; y < picture.getHeight(); y++) {
			for (int x = 0; x < picture.getWidth(); x++) {
				picture.setRGB(x, y, colours[(y / patchPixels) * gridWidth + x / patchPixels]);
			}
		}
		return picture;
	}

}
